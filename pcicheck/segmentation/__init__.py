"""Segmentation: flows answered against the network configuration (flows), and the flows that must be
denied for the CDE and each tenant to be isolated (plan), as `pcicheck segmentation` and the evidence
pack show them."""
