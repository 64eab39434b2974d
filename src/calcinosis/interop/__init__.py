"""Exchange with hospital and research systems: FHIR R4 in and out (``interop.fhir``), CDS Hooks
cards (``interop.cds_hooks``), GA4GH Phenopackets v2 (``interop.phenopacket``).

Everything here translates to and from the one case object and the one result object; no
clinical logic lives here. The code tables come from ``knowledge/codes.yaml``
(:mod:`calcinosis.kb.codes`). The libraries (fhir.resources, phenopackets) are the
``interop`` extra and are imported only by the commands that need them.
"""
