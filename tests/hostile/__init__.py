"""Hostile and malformed input, one test module per defect class (issue 14): what an attacker controls
(tags, labels, names, pull-request manifests, packs) and what a careless user passes (special files,
misspelt parameters, wrongly typed fields). Fixtures are built in the tests, so nothing here can explode
on checkout."""
