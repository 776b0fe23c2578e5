package io.xmig.control.cli;

import io.xmig.control.xenstream.StreamSummary;
import io.xmig.control.xenstream.XenStreamException;
import io.xmig.control.xenstream.XenStreamReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code xmig xen-verify FILE}: checks a Xen migration stream (xl format) and summarises it, or says what is wrong. */
@Command(name = "xen-verify", mixinStandardHelpOptions = true,
        description = "Check a Xen 4.17 migration stream (xl / libxl v2 / libxc v3) and summarise it.")
final class XenVerifyCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The stream, e.g. an xl save file or a tee'd migration.")
    Path file;

    @Override
    public Integer call() throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            StreamSummary s = XenStreamReader.read(in);
            spec.commandLine().getOut().println(XenSendCommand.JSON.writeValueAsString(s));
            return 0;
        } catch (XenStreamException e) {
            spec.commandLine().getErr().println("xen-verify: " + file + ": " + e.getMessage());
            return 1;
        }
    }
}
