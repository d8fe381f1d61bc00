// Package e2e holds end-to-end tests that run gradgen's whole path the way a
// user does: specs are generated into packages of a fresh module in a
// temporary directory, and the go command builds and tests them there.
package e2e
