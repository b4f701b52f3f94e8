package main

// The shop's domain: one package under internal/domain per entity.

type field struct {
	json      string   // JSON key and column name, snake_case
	kind      string   // see goType
	validate  string   // validate tag on the create input
	enum      []string // for kind "enum"
	ref       string   // referenced entity, for kind "ref"
	filter    bool     // ?<json>= filter on lists
	sort      bool     // may be sorted on
	update    bool     // may be changed by PATCH
	optional  bool     // may be empty
	search    bool     // matched by ?q=
	immutable bool     // never changes after create (documented only)
}

type entity struct {
	name    string // package name, singular
	plural  string // table and route
	prefix  string // id prefix
	doc     string
	role    string   // role needed to write
	states  []string // lifecycle, first is initial; empty: none
	moves   map[string][]string
	fields  []field
	summary string // field used in log lines and event subjects
}

var entities = []entity{
	{
		name: "category", plural: "categories", prefix: "cat_", role: "staff", summary: "name",
		doc: "Category groups products in a tree shown in the shop's navigation.",
		fields: []field{
			{json: "name", kind: "string", validate: "required,max=100", sort: true, update: true, search: true},
			{json: "slug", kind: "string", validate: "required,slug,max=100", filter: true, update: true},
			{json: "description", kind: "text", validate: "max=2000", update: true, optional: true},
			{json: "parent_id", kind: "ref", ref: "category", filter: true, update: true, optional: true},
			{json: "position", kind: "int", validate: "gte=0,lte=10000", sort: true, update: true},
			{json: "visible", kind: "bool", filter: true, update: true},
		},
	},
	{
		name: "product", plural: "products", prefix: "prd_", role: "staff", summary: "sku",
		doc:    "Product is an article the shop sells, with its price and tax rate.",
		states: []string{"draft", "active", "archived"},
		moves:  map[string][]string{"draft": {"active", "archived"}, "active": {"archived"}, "archived": {"active"}},
		fields: []field{
			{json: "sku", kind: "string", validate: "required,sku", filter: true, sort: true},
			{json: "name", kind: "string", validate: "required,max=200", sort: true, update: true, search: true},
			{json: "slug", kind: "string", validate: "required,slug,max=200", filter: true, update: true},
			{json: "description", kind: "text", validate: "max=10000", update: true, optional: true},
			{json: "category_id", kind: "ref", ref: "category", validate: "required", filter: true, update: true},
			{json: "price", kind: "money", sort: true, update: true},
			{json: "tax_rate", kind: "percent", update: true},
			{json: "weight_grams", kind: "int", validate: "gte=0,lte=1000000", sort: true, update: true},
			{json: "tags", kind: "tags", validate: "max=20,dive,max=40", update: true, optional: true},
		},
	},
	{
		name: "warehouse", plural: "warehouses", prefix: "whs_", role: "admin", summary: "code",
		doc: "Warehouse holds stock and ships orders.",
		fields: []field{
			{json: "code", kind: "string", validate: "required,code", filter: true, sort: true},
			{json: "name", kind: "string", validate: "required,max=200", sort: true, update: true, search: true},
			{json: "country", kind: "string", validate: "required,iso3166_1_alpha2", filter: true, update: true},
			{json: "city", kind: "string", validate: "required,max=100", filter: true, update: true},
			{json: "capacity", kind: "int", validate: "gte=0", sort: true, update: true},
			{json: "active", kind: "bool", filter: true, update: true},
		},
	},
	{
		name: "inventory", plural: "inventory", prefix: "inv_", role: "staff", summary: "product_id",
		doc: "Inventory is the stock of one product in one warehouse.",
		fields: []field{
			{json: "product_id", kind: "ref", ref: "product", validate: "required", filter: true},
			{json: "warehouse_id", kind: "ref", ref: "warehouse", validate: "required", filter: true},
			{json: "on_hand", kind: "int", validate: "gte=0", sort: true, update: true},
			{json: "reserved", kind: "int", validate: "gte=0", sort: true, update: true},
			{json: "reorder_level", kind: "int", validate: "gte=0", update: true},
		},
	},
	{
		name: "customer", plural: "customers", prefix: "cus_", role: "staff", summary: "email",
		doc:    "Customer is someone who buys from the shop.",
		states: []string{"active", "suspended", "closed"},
		moves:  map[string][]string{"active": {"suspended", "closed"}, "suspended": {"active", "closed"}},
		fields: []field{
			{json: "email", kind: "string", validate: "required,email,max=254", filter: true, sort: true, update: true},
			{json: "name", kind: "string", validate: "required,max=200", sort: true, update: true, search: true},
			{json: "phone", kind: "string", validate: "omitempty,e164", update: true, optional: true},
			{json: "country", kind: "string", validate: "required,iso3166_1_alpha2", filter: true, update: true},
			{json: "tier", kind: "enum", enum: []string{"standard", "silver", "gold"}, validate: "required", filter: true, update: true},
			{json: "marketing_opt_in", kind: "bool", filter: true, update: true},
		},
	},
	{
		name: "address", plural: "addresses", prefix: "adr_", role: "customer", summary: "city",
		doc: "Address is where a customer is billed or receives shipments.",
		fields: []field{
			{json: "customer_id", kind: "ref", ref: "customer", validate: "required", filter: true},
			{json: "kind", kind: "enum", enum: []string{"billing", "shipping"}, validate: "required", filter: true, update: true},
			{json: "line1", kind: "string", validate: "required,max=200", update: true, search: true},
			{json: "line2", kind: "string", validate: "max=200", update: true, optional: true},
			{json: "city", kind: "string", validate: "required,max=100", filter: true, sort: true, update: true},
			{json: "postal_code", kind: "string", validate: "required,max=20", update: true},
			{json: "country", kind: "string", validate: "required,iso3166_1_alpha2", filter: true, update: true},
			{json: "is_default", kind: "bool", filter: true, update: true},
		},
	},
	{
		name: "order", plural: "orders", prefix: "ord_", role: "customer", summary: "customer_id",
		doc:    "Order is a customer's purchase, from checkout to delivery.",
		states: []string{"pending", "paid", "fulfilled", "shipped", "delivered", "cancelled", "refunded"},
		moves: map[string][]string{
			"pending": {"paid", "cancelled"}, "paid": {"fulfilled", "refunded", "cancelled"},
			"fulfilled": {"shipped"}, "shipped": {"delivered"}, "delivered": {"refunded"},
		},
		fields: []field{
			{json: "customer_id", kind: "ref", ref: "customer", validate: "required", filter: true},
			{json: "currency", kind: "string", validate: "required,currency", filter: true},
			{json: "subtotal", kind: "money", sort: true},
			{json: "tax", kind: "money"},
			{json: "shipping", kind: "money", update: true},
			{json: "total", kind: "money", sort: true},
			{json: "shipping_address_id", kind: "ref", ref: "address", validate: "required", update: true},
			{json: "notes", kind: "text", validate: "max=1000", update: true, optional: true},
		},
	},
	{
		name: "payment", plural: "payments", prefix: "pay_", role: "staff", summary: "order_id",
		doc:    "Payment is money taken, or to be taken, for an order.",
		states: []string{"authorized", "captured", "failed", "voided"},
		moves:  map[string][]string{"authorized": {"captured", "failed", "voided"}},
		fields: []field{
			{json: "order_id", kind: "ref", ref: "order", validate: "required", filter: true},
			{json: "amount", kind: "money", sort: true},
			{json: "method", kind: "enum", enum: []string{"card", "sepa", "paypal", "invoice"}, validate: "required", filter: true},
			{json: "provider_ref", kind: "string", validate: "required,max=100", filter: true},
			{json: "captured_at", kind: "time", sort: true, update: true},
		},
	},
	{
		name: "shipment", plural: "shipments", prefix: "shp_", role: "staff", summary: "tracking_number",
		doc:    "Shipment is a parcel on its way from a warehouse to a customer.",
		states: []string{"preparing", "shipped", "in_transit", "delivered", "lost"},
		moves: map[string][]string{
			"preparing": {"shipped"}, "shipped": {"in_transit", "delivered", "lost"}, "in_transit": {"delivered", "lost"},
		},
		fields: []field{
			{json: "order_id", kind: "ref", ref: "order", validate: "required", filter: true},
			{json: "warehouse_id", kind: "ref", ref: "warehouse", validate: "required", filter: true},
			{json: "carrier", kind: "enum", enum: []string{"dhl", "ups", "fedex", "postnl"}, validate: "required", filter: true, update: true},
			{json: "tracking_number", kind: "string", validate: "max=64", filter: true, update: true, search: true},
			{json: "weight_grams", kind: "int", validate: "gte=0,lte=100000", sort: true, update: true},
			{json: "shipped_at", kind: "time", sort: true, update: true},
		},
	},
}
