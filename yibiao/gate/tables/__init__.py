"""The table kind of demand: a department's Excel template read, mapped and analysed."""
