package io.xmig.control.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code xmig} command line (bin/xmig). Each subcommand is its own class; this one only assembles them and maps
 * exceptions to exit codes: 0 success, 1 the command ran and found a problem, 2 bad usage.
 */
@Command(name = "xmig", mixinStandardHelpOptions = true, versionProvider = XmigCli.Version.class,
        description = "Hybrid pre-copy/post-copy live migration for Xen guests.",
        subcommands = {MigrateCommand.class, AgentCommand.class, DemoCommand.class, DomainsCommand.class,
                TracesCommand.class, TrainCommand.class, ForecastEvalCommand.class, PlanCommand.class,
                XenSendCommand.class, XenVerifyCommand.class, XenProbeCommand.class,
                CommandLine.HelpCommand.class})
public final class XmigCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new XmigCli());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("xmig: " + e.getMessage());
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = XmigCli.class.getPackage().getImplementationVersion();
            return new String[]{"xmig " + (v == null ? "development build" : v) + " on Java " + Runtime.version()};
        }
    }
}
