// Package sampling holds the collector sets that sample actions feed
// (pipeline.Sampler): packet logs (pcapng files that tshark reads, each
// packet with a comment naming the rule that sampled it, nflog-like) and
// IPFIX exporters (RFC 7011 over UDP, the records OVS's per-flow sampling
// exports).
//
// The datapath never waits for a collector: Sample copies the packet into
// a record taken from the collector's fixed pool and queues it; when the
// pool is empty the sample is dropped and counted (Stats). One goroutine
// per collector writes its records.
package sampling
