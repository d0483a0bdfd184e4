package main

// Version is gswitch's version string.
const Version = "0.1.0"
