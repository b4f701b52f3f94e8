package shipment

// Revision is the shipment schema revision. The API sends it in the
// X-Schema-Revision header, events carry it, and cache keys include it, so
// bump it with every change to the shipments table or its JSON form.
const Revision = "2026.1"
