//go:build !purego

package runtime

// gradSGDKernel reports whether this build has gradSGDF32 and gradSGDF64
// (kernels_amd64.s); they run when the vector kernels do.
const gradSGDKernel = true
