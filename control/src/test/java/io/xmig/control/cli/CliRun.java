package io.xmig.control.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the {@code xmig} command line in this JVM, with what it printed: the tests' way to act as a user. */
record CliRun(int exit, String out, String err) {

    static CliRun xmig(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = XmigCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new CliRun(cl.execute(args), out.toString(), err.toString());
    }
}
