package org.minivpn.pki;

import java.nio.file.Path;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code vpn:import FILE}: puts a client profile in place in this installation ({@link
 * ProfileImport}). FileInstall applies the configuration files it changes, so the next
 * {@code vpn:connect} uses them. Gogo calls {@code _import}, as {@code import} is a Java keyword.
 */
@Component(service = ImportCommand.class, property = {
    "osgi.command.scope=vpn",
    "osgi.command.function=import"})
public final class ImportCommand {

    private final Path home;

    @Activate
    public ImportCommand(BundleContext context) {
        this(PkiCommands.Settings.home(context.getProperty(PkiCommands.HOME_PROPERTY)));
    }

    ImportCommand(Path home) {
        this.home = home;
    }

    @Descriptor("import a client profile (written on the server by vpn:pki export NAME --profile FILE --server HOST):"
            + " the CA certificate, certificate and key go to pki/, the server and transport settings to configs/."
            + " Refuses a damaged or incomplete profile, and replaces nothing without --force")
    public String _import(
            @Descriptor("replace this installation's certificate, key, CA or server with the profile's")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("the profile, e.g. alice.minivpn; a relative path is relative to the installation folder")
            String file) throws PkiException {
        return new ProfileImport(home).importFile(home.resolve(file), force);
    }
}
