"""History from paper registers: a group that kept paper books joins with a cut-off.

:mod:`coopledger.cutoff.sheet` holds the cut-off sheet (the opening balances: each member's
rice and cash savings and what she owes for rice, the group's cash and rice stock, loans
outstanding with their remaining schedule), sealed once per group by ``seal_cutoff``;
:mod:`coopledger.cutoff.files` reads a sheet from CSV or XLSX; :mod:`coopledger.cutoff.reports`
says whether a report's date falls before the books were kept here. See ``docs/cutoff.md``.
"""
