"""Real-world rules as data: limit schedules, fee schedules and refund windows, with sources."""
