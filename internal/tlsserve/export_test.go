package tlsserve

// WriteCert is writeCert, for the tests of package tlsserve_test.
var WriteCert = writeCert
