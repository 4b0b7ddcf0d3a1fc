package asmcheck_test

// The tests never read the developer's AWS or ldexport environment.
import _ "github.com/ldexport/ldexport/pkg/testenv"
