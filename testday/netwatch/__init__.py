"""Provides the network watch's SNMP side: poller, trap receiver, OIDs and the AP vendor table.

Import the modules themselves (``testday.netwatch.poller`` …): this package stays light so that
reading the vendor table does not load pysnmp.
"""
