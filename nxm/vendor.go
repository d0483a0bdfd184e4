package nxm

// Experimenter (vendor) IDs of the extension actions and fields.
const (
	NXVendorID  = 0x00002320 // Nicira
	ONFVendorID = 0x4f4e4600 // Open Networking Foundation
	// NSHExperimenterID is OVS's NXOXM_NSH class: the experimenter OXM
	// fields nsh_* (an OUI OVS generated at random, ovs-fields(7)).
	NSHExperimenterID = 0x005ad650
)
