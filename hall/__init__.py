"""The ``hall`` command: provisioning, the services, and the whole hall on one machine."""
