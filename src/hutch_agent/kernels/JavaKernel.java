// A persistent Java interpreter for `run_code`, the Java counterpart of python_kernel.py: JShell.
//
// Run as its own process (as the sandbox user) with `java JavaKernel.java IN_FD OUT_FD` (the JDK's
// source launcher: no build step). It reads one JSON request per line from IN_FD (the fields of
// python_kernel.py; a JVM cannot change its own environment or working directory, so only `code` is
// used), splits the code into snippets as jshell does, evaluates them in one JShell whose state
// (variables, methods, classes, imports) persists, and writes JSON messages, one per line, to
// OUT_FD: "ready" first, then per request a "result" with the value of the last snippet when it is
// an expression, an "error" for a snippet that did not compile or threw, and "done". The snippets
// run in this JVM ("local" execution), so what they print goes to fds 1 and 2, which the agent
// streams. SIGINT stops the running request; JShell's state stays.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import sun.misc.Signal;

public class JavaKernel {
    private static OutputStream messages;
    private static int count = 0;
    private static volatile boolean interrupted = false;

    public static void main(String[] args) throws Exception {
        var requests = new BufferedReader(new InputStreamReader(
                new FileInputStream("/dev/fd/" + args[0]), StandardCharsets.UTF_8));
        messages = new FileOutputStream("/dev/fd/" + args[1]);
        var shell = JShell.builder().executionEngine("local").out(System.out).err(System.err).build();
        Signal.handle(new Signal("INT"), signal -> {
            interrupted = true;
            shell.stop();
        });
        shell.eval("int __hutch_warm = 0;"); // the compiler's first use is its slowest: not in a cell
        send(Map.of("type", "ready"));
        for (String line; (line = requests.readLine()) != null; ) {
            Object code = ((Map<?, ?>) new Json(line).value()).get("code");
            run(shell, code instanceof String text ? text : "");
        }
    }

    private static void run(JShell shell, String code) {
        count += 1;
        interrupted = false;
        String status = "ok";
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String rest = code;
        String value = null;
        cell:
        while (!rest.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
            String source = info.completeness().isComplete() ? info.source() : rest;
            rest = info.completeness().isComplete() ? info.remaining() : "";
            value = null;
            List<SnippetEvent> events = shell.eval(source);
            if (interrupted) {
                error("InterruptedException", "the execution was interrupted", "");
                status = "error";
                break;
            }
            for (SnippetEvent event : events) {
                if (event.causeSnippet() != null) continue; // an update of another snippet
                if (event.status() == Snippet.Status.REJECTED) {
                    String why = shell.diagnostics(event.snippet()).map(d -> describe(d, source))
                            .collect(Collectors.joining("\n"));
                    error("CompilationError", why.isEmpty() ? "the code is incomplete" : why, why);
                    status = "error";
                    break cell;
                }
                if (event.exception() != null) {
                    String name = exceptionName(event.exception());
                    String message = String.valueOf(event.exception().getMessage());
                    error(name, message, name + ": " + message + "\n" + stackTrace(event.exception()));
                    status = "error";
                    break cell;
                }
                Snippet.Kind kind = event.snippet().kind();
                boolean shown = kind == Snippet.Kind.EXPRESSION
                        || (kind == Snippet.Kind.VAR && event.snippet().subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND);
                if (shown && event.value() != null && !isVoid(event)) value = event.value();
            }
        }
        if (value != null && status.equals("ok")) {
            send(Map.of("type", "result", "data", Map.of("text/plain", value), "isMainResult", true));
        }
        System.out.flush(); // print() without a newline stays buffered: it belongs to this cell
        System.err.flush();
        send(Map.of("type", "done", "executionCount", count, "status", status));
    }

    private static boolean isVoid(SnippetEvent event) {
        return event.snippet() instanceof jdk.jshell.VarSnippet v && v.typeName().equals("void");
    }

    private static String describe(Diag diag, String source) {
        long line = source.substring(0, (int) Math.max(0, Math.min(source.length(), diag.getStartPosition())))
                .chars().filter(c -> c == '\n').count() + 1;
        return diag.getMessage(null) + " (line " + line + ")";
    }

    private static String exceptionName(Exception exception) {
        if (exception instanceof EvalException e) return e.getExceptionClassName();
        if (exception instanceof UnresolvedReferenceException) return "UnresolvedReferenceException";
        return exception.getClass().getName();
    }

    private static String stackTrace(Exception exception) {
        var text = new StringWriter();
        exception.printStackTrace(new PrintWriter(text));
        return text.toString().lines().filter(l -> l.startsWith("\tat ") && !l.contains("jdk.jshell"))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static void error(String name, String value, String traceback) {
        send(Map.of("type", "error", "name", name, "value", value, "traceback", traceback));
    }

    private static synchronized void send(Map<String, Object> message) {
        try {
            messages.write((Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8));
            messages.flush();
        } catch (java.io.IOException e) {
            System.exit(1); // the agent is gone
        }
    }

    /** The little JSON the protocol needs: objects, arrays, strings, numbers, booleans, null. */
    static final class Json {
        private final String text;
        private int at = 0;

        Json(String text) {
            this.text = text;
        }

        Object value() {
            skip();
            char c = text.charAt(at);
            if (c == '{') {
                Map<String, Object> object = new LinkedHashMap<>();
                at++;
                for (skip(); text.charAt(at) != '}'; skip()) {
                    String key = (String) value();
                    skip();
                    at++; // ':'
                    object.put(key, value());
                    skip();
                    if (text.charAt(at) == ',') at++;
                }
                at++;
                return object;
            }
            if (c == '[') {
                List<Object> array = new ArrayList<>();
                at++;
                for (skip(); text.charAt(at) != ']'; skip()) {
                    array.add(value());
                    skip();
                    if (text.charAt(at) == ',') at++;
                }
                at++;
                return array;
            }
            if (c == '"') return string();
            int start = at;
            while (at < text.length() && ",}] \t\r\n".indexOf(text.charAt(at)) < 0) at++;
            String word = text.substring(start, at);
            return switch (word) {
                case "null" -> null;
                case "true" -> true;
                case "false" -> false;
                default -> Double.valueOf(word);
            };
        }

        private String string() {
            var out = new StringBuilder();
            at++;
            for (char c; (c = text.charAt(at++)) != '"'; ) {
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(e);
                }
            }
            return out.toString();
        }

        private void skip() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
        }

        static String write(Object value) {
            if (value == null) return "null";
            if (value instanceof Number || value instanceof Boolean) return value.toString();
            if (value instanceof Map<?, ?> map) {
                return map.entrySet().stream().map(e -> write(e.getKey().toString()) + ":" + write(e.getValue()))
                        .collect(Collectors.joining(",", "{", "}"));
            }
            var out = new StringBuilder("\"");
            for (char c : value.toString().toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
                }
            }
            return out.append('"').toString();
        }
    }
}
