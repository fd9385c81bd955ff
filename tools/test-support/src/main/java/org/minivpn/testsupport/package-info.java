/**
 * What the tests of every module share: {@link org.minivpn.testsupport.Needs}, the machine a test
 * needs and the one line it is skipped with, and {@link org.minivpn.testsupport.Allocations}, the
 * steady-state allocation of a packet path. A test dependency only, never part of the appliance.
 */
package org.minivpn.testsupport;
