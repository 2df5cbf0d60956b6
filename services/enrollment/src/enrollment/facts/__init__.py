"""Enrollment facts verified through data sharing (issue 22): 户籍, 居住证, 不动产, 社保 asked of
the agencies that hold them (the kit's agency protocol), ledgered, and an application moved on
without a clerk when every fact its tier needs is verified."""
