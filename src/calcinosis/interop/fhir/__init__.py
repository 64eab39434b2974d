"""FHIR R4 in and out.

Hospitals send FHIR R4 (4.0.1). ``fhir.resources`` 8 has no R4 package: its top-level models are
R5, which reject R4 shapes (``MedicationRequest.medicationCodeableConcept``), and its ``R4B``
(4.3.0) models read R4 Patient, Observation, Condition, MedicationStatement/Request, Procedure,
ImagingStudy and DiagnosticReport unchanged. So every resource is parsed and built with
``fhir.resources.R4B``; what calcinosis writes uses only elements that R4 and R4B share, so an
R4 server accepts it (reference/stack-recipes.md section 6, reference/libraries.md).

- :mod:`.read`: a Bundle (or a list of resources) becomes a case, with a mapping report that
  lists every resource and element used, and every one not used with the reason.
- :mod:`.write`: a case and its result become a Bundle: the inputs (Patient, Observation,
  Condition, MedicationStatement, Procedure) and the outputs (DiagnosticReport, RiskAssessment,
  ServiceRequest proposals, CarePlan).
"""
