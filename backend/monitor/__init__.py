"""Device monitor (设备监控) and the hall alerts (预警) devices call for.

- :mod:`.logic` is pure: given what devices said and the time, which hall
  alerts to raise and clear (``device_offline`` after a grace period; a
  device's own ``paper_out`` / ``paper_near_end`` / ``bar_not_answering`` /
  ``printer_offline`` mirrored as a hall alert).
- :mod:`.service` wires it to the bus, the database and a timer;
  :mod:`.web` is the ``/admin/devices`` page.

Importing this package (or :mod:`.settings`) loads nothing heavy.
"""
