"""Loans from the group fund: schedules, disbursing, repaying, rescheduling, writing off."""
