"""GA4GH Phenopackets v2, implementation (the public names are in :mod:`calcinosis.interop.phenopacket`).

- ``mapping.yaml`` / :mod:`._data`: resources, value terms, code preferences (data);
- :mod:`._coder`: terms to CURIEs and back, ages to ISO 8601 durations and back;
- :mod:`.export`: a case as a Phenopacket; :mod:`.native`: native elements back into case data;
- :mod:`._record`: the calcinosis record, for what the native elements cannot hold exactly;
- :mod:`.importer`: a packet file into a case; :mod:`.report`: the mapping report;
- :mod:`.validate`: the required fields of the schema.
"""
