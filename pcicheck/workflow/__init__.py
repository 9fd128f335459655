"""One run of pcicheck from its options: gather the snapshot, evaluate it, write the outputs, choose the
exit code. Shared by every command that evaluates (scan, evaluate, iac) and by the demo; the CLI only
parses options and prints."""
