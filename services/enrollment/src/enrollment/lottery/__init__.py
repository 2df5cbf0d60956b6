"""电脑派位: replayable computer lottery and assignment runs."""
