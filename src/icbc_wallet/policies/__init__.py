"""Pure policy functions: (value objects, now) -> Decision. No I/O, no clock reads."""
