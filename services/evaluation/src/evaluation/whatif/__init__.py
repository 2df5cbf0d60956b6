"""What-if scenarios on a stored assessment and the greedy cheapest fix (nothing stored)."""
