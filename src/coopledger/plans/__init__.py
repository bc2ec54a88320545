"""Annual plans of operation (APO) and joint reviews, for a group or a cluster platform."""
