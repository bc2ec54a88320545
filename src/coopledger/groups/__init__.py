"""The group (CBO): its formation, members and roles, and the aggregate holding its state."""
