package dev.coffer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.api.agent.Json;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code coffer} root command and what every subcommand shares: the global options, where
 * output goes, the saved config and the API clients built from them.
 */
@Command(
    name = "coffer",
    mixinStandardHelpOptions = true,
    version = "coffer 0.1.0",
    description = "Manage Coffer databases from the command line.")
final class Cli implements Runnable {
  static final String DEFAULT_URL = "http://127.0.0.1:8779";

  /** Listed in this order in the help. */
  private static final List<Class<?>> COMMAND_GROUPS =
      List.of(
          LoginCommands.Login.class,
          LoginCommands.Logout.class,
          InstanceCommands.class,
          BackupCommands.class,
          ConfigurationCommands.class,
          ReplicaCommands.class,
          ClusterCommands.class,
          DatabaseCommands.class,
          UserCommands.class,
          RootCommands.class,
          LogCommands.class,
          CapacityCommand.class,
          AlertCommand.class,
          DatastoreCommands.class,
          FlavorCommands.class,
          QuotaCommands.class,
          TokenCommands.class,
          ProjectCommands.class,
          UserAccountCommands.class);

  enum Format {
    table,
    json
  }

  /** Asks for a password without echo; returns null when there is no terminal to ask on. */
  interface PasswordPrompt {
    char[] read(String prompt);
  }

  @Option(
      names = "--url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "Server URL (else COFFER_URL, the config file, or " + DEFAULT_URL + ").")
  String url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      scope = ScopeType.INHERIT,
      description = "Auth token (else COFFER_TOKEN or the config file).")
  String token;

  @Option(
      names = "--project",
      paramLabel = "PROJECT",
      scope = ScopeType.INHERIT,
      description = "Project id (else COFFER_PROJECT or the config file).")
  String project;

  // No defaultValue: an inherited option's default would be re-applied by each subcommand.
  @Option(
      names = "--format",
      paramLabel = "table|json",
      scope = ScopeType.INHERIT,
      description = "Output: table (default) or json (the server's JSON body).")
  Format format;

  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description = "Trace requests and show stack traces.")
  boolean debug;

  @Spec CommandSpec spec;

  final PrintStream out;
  final PrintStream err;
  final ObjectMapper mapper = Json.newMapper();
  private final Map<String, String> env;
  private final boolean errIsTerminal;
  private final PasswordPrompt passwordPrompt;
  private HttpClient http;
  private Config config;

  Cli(
      Map<String, String> env,
      PrintStream out,
      PrintStream err,
      boolean errIsTerminal,
      PasswordPrompt passwordPrompt) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.errIsTerminal = errIsTerminal;
    this.passwordPrompt = passwordPrompt;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  /** Parses and runs one command line; returns 0, 1 (failure) or 2 (usage error). */
  int execute(String... args) {
    CommandLine commandLine = new CommandLine(this, this::create);
    for (Class<?> group : COMMAND_GROUPS) {
      commandLine.addSubcommand(new CommandLine(group, this::create));
    }
    withHelpOptions(commandLine);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    commandLine.setParameterExceptionHandler(
        (e, ignored) -> {
          err.println("error: " + e.getMessage());
          err.println(
              "hint: see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          return 2;
        });
    commandLine.setExecutionExceptionHandler(
        (e, ignored, parseResult) -> {
          if (debug) {
            e.printStackTrace(err);
          }
          if (e instanceof CliException failure) {
            err.println("error: " + failure.getMessage());
            if (failure.hint() != null) {
              err.println("hint: " + failure.hint());
            }
          } else {
            err.println(
                "error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
            err.println("hint: run it again with --debug and report the output");
          }
          return 1;
        });
    return commandLine.execute(args);
  }

  /** Gives every subcommand, down to methods like 'instance create', a --help option. */
  private static void withHelpOptions(CommandLine commandLine) {
    for (CommandLine subcommand : commandLine.getSubcommands().values()) {
      CommandSpec spec = subcommand.getCommandSpec();
      if (spec.findOption("--help") == null) {
        spec.addOption(
            OptionSpec.builder("-h", "--help")
                .usageHelp(true)
                .description("Show this help message and exit.")
                .build());
      }
      withHelpOptions(subcommand);
    }
  }

  /** Builds command-group objects, handing each this shared context. */
  private <K> K create(Class<K> type) throws Exception {
    if (type == Cli.class) {
      return type.cast(this);
    }
    for (Constructor<?> constructor : type.getDeclaredConstructors()) {
      if (constructor.getParameterCount() == 1 && constructor.getParameterTypes()[0] == Cli.class) {
        return type.cast(constructor.newInstance(this));
      }
    }
    return CommandLine.defaultFactory().create(type);
  }

  // ---- settings: option, then environment variable, then config file ----

  Path configFile() {
    String override = env.get("COFFER_CONFIG");
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    return Path.of(
        env.getOrDefault("HOME", System.getProperty("user.home")),
        ".config",
        "coffer",
        "config.json");
  }

  Config config() {
    if (config == null) {
      config = Config.load(configFile(), mapper);
    }
    return config;
  }

  void saveConfig(Config updated) {
    updated.save(configFile(), mapper);
    config = updated;
  }

  String serverUrl() {
    String value = firstOf(url, env.get("COFFER_URL"), config().url());
    return value == null ? DEFAULT_URL : value;
  }

  String env(String name) {
    String value = env.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  private String authToken() {
    return firstOf(token, env.get("COFFER_TOKEN"), config().token());
  }

  String projectId() {
    return firstOf(project, env.get("COFFER_PROJECT"), config().projectId());
  }

  // ---- API clients ----

  /** The Trove API of the current project: {@code {url}/v1.0/{project_id}}. */
  ApiClient trove() {
    String projectId = projectId();
    if (projectId == null) {
      throw new CliException(
          "no project selected", "run 'coffer login --project NAME' or pass --project ID");
    }
    return client("/v1.0/" + ApiClient.segment(projectId), requireToken());
  }

  /** Coffer's identity API, {@code {url}/coffer/v1}, with the current token. */
  ApiClient identity() {
    return client("/coffer/v1", requireToken());
  }

  /** The identity API without a token, for logging in. */
  ApiClient anonymousIdentity() {
    return client("/coffer/v1", null);
  }

  private String requireToken() {
    String value = authToken();
    if (value == null) {
      throw new CliException("not logged in", "run 'coffer login'");
    }
    return value;
  }

  private ApiClient client(String prefix, String authToken) {
    if (http == null) {
      http = ApiClient.newHttpClient();
    }
    return new ApiClient(http, mapper, serverUrl(), prefix, authToken, debug ? err : null);
  }

  // ---- output ----

  boolean json() {
    return format == Format.json;
  }

  /** Prints the server's body as JSON, or runs the table printer. */
  void print(JsonNode body, Consumer<PrintStream> table) {
    if (json()) {
      printJson(body);
    } else {
      table.accept(out);
    }
  }

  void printJson(JsonNode body) {
    if (body == null || body.isMissingNode()) {
      return;
    }
    try {
      out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A confirmation for the table format; JSON output stays silent when the server sent no body. */
  void done(String message) {
    if (!json()) {
      out.println(message);
    }
  }

  ObjectNode object() {
    return mapper.createObjectNode();
  }

  boolean errIsTerminal() {
    return errIsTerminal;
  }

  /**
   * The password from the option, else from the named environment variable (may be null), else
   * asked for on the terminal.
   */
  String password(String fromOption, String envName, String prompt) {
    if (fromOption != null) {
      return fromOption;
    }
    String fromEnv = envName == null ? null : env(envName);
    if (fromEnv != null) {
      return fromEnv;
    }
    char[] typed = passwordPrompt.read(prompt);
    if (typed == null) {
      throw new CliException(
          "no password given",
          envName == null
              ? "pass --password, or run in a terminal to be asked"
              : "pass --password, set " + envName + ", or run in a terminal to be asked");
    }
    return new String(typed);
  }

  /** The texts of an array, or of one field of each of its objects, comma-separated. */
  static String joined(JsonNode array, String field) {
    List<String> texts = new ArrayList<>();
    for (JsonNode element : array) {
      JsonNode value = field == null ? element : element.path(field);
      if (!value.isMissingNode() && !value.isNull()) {
        texts.add(value.asText());
      }
    }
    return String.join(", ", texts);
  }

  private static String firstOf(String... values) {
    for (String value : values) {
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }

  /** Base of command groups: run without a subcommand, a group is a usage error. */
  abstract static class Group implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** A usage error (exit code 2) of the subcommand being run, such as 'instance create'. */
    ParameterException usage(String message) {
      CommandLine.ParseResult result = spec.commandLine().getParseResult();
      while (result != null && result.hasSubcommand()) {
        result = result.subcommand();
      }
      return new ParameterException(
          result == null ? spec.commandLine() : result.commandSpec().commandLine(), message);
    }
  }
}
