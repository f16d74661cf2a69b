"""The guard's terminal (Textual): shows what the kiosk decided and takes the guard's keys.

It talks to the running kiosk only through ``kiosk.port.KioskPort`` and imports
nothing from the adapters or the service, so it can be driven by a fake port in
tests and the core runs without it.  ``KioskApp`` is the entry point.
"""
