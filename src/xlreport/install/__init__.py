"""Getting xlreport onto an office PC: the offline bundle and the Excel add-in (xlreport.xlam)."""
