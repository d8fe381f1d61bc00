package runtime

// Version is the gradgen release that generated code names in its header.
const Version = "v0.1.0"

// EnforceVersion guards, at compile time, that a generated file and this
// runtime agree. A file generated for version N contains
//
//	const _ = gradgen.EnforceVersion(N - gradgen.MinVersion)
//	const _ = gradgen.EnforceVersion(gradgen.MaxVersion - N)
//
// If N lies outside [MinVersion, MaxVersion], one of the constants is
// negative, does not convert to uint, and the file fails to build.
type EnforceVersion uint

// The versions of generated code.
const (
	// GenVersion is the version that the current generator emits.
	GenVersion = 1
	// MinVersion is the oldest version of generated code this runtime supports.
	MinVersion = 1
	// MaxVersion is the newest version of generated code this runtime supports.
	MaxVersion = 1
)

// The runtime supports what its own generator emits.
const (
	_ = EnforceVersion(GenVersion - MinVersion)
	_ = EnforceVersion(MaxVersion - GenVersion)
)
