/**
 * Routing configurators. Private: consumers see only {@link org.minivpn.api.route.RouteConfigurator}
 * services, chosen by their {@code route.type} property.
 *
 * <pre>
 * routeClient / routeServer
 *   ClientPlan / ServerPlan   read the current state (ip route get, sysctl -n, ss), build Changes
 *     PolicyPlan              a full tunnel whose socket carries the mark: rules and a table (wg-quick)
 *     DnsPlan                 pushed resolvers: resolvectl, or resolv.conf saved, rewritten, restored
 *   FileSteps                 the file Changes (@save, @write, @restore, @delete), run in Java
 *   JournaledRoutes           for each Change: journal its undo (fsync), run it, roll back on failure
 *   RouteJournal              run/routes.journal: replayed newest first at the next start after a crash
 * AppliedRoutes.close / deactivate: undo newest first, mark each undo in the journal
 * </pre>
 *
 * <p>{@code linux} acts through {@code ip}, {@code nft} and {@code sysctl} (with a timeout each),
 * in the appliance's network namespace or in a configured one. {@code none} changes nothing.
 */
package org.minivpn.route.linux;
