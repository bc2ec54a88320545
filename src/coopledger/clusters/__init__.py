"""Clusters of neighbouring groups and their platforms: membership, representatives, the
chair and host rotation, monthly meetings, the MoU, the extreme-poor register, safety nets,
trainings, and bank loans the platform guarantees."""
