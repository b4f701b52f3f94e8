package spec

// YamlFields is yamlFields, for the schema test (package spec_test).
var YamlFields = yamlFields
