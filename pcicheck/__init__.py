"""pcicheck: PCI DSS evidence from live AWS and Kubernetes configuration."""

__version__ = "0.1.0"
