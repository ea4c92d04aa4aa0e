"""The joint calendar: every admitted demand that lands on a community, by day (with iCal)."""
