"""The vocabulary: value objects and their rules. No I/O, no clock reads, no logging."""
