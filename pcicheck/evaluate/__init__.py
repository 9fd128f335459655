"""The evaluate stage: controls judged on the analyzed estate, waivers applied, requirements rolled up."""
