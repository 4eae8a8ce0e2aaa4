"""Report pages: one take, progress over the history, a kiosk day.

Layer: after ``store`` (it reads the history) and before ``practice``
(``heard practice --report`` uses it). Pages are one self-contained HTML
file each, built from the ``heard analyse --json`` dict. matplotlib is
imported only here, and only when a page is asked for.
"""
