package nxm

// Experimenter (vendor) IDs of the extension actions and fields.
const (
	NXVendorID  = 0x00002320 // Nicira
	ONFVendorID = 0x4f4e4600 // Open Networking Foundation
)
