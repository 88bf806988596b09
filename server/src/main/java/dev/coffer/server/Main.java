package dev.coffer.server;

import dev.coffer.server.identity.IdentityService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/** Starts the control plane with settings from the environment and prints how to reach it. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    ServerConfig config = ServerConfig.fromEnvironment(System.getenv());
    Coffer coffer = Coffer.start(config);
    Optional<IdentityService.BootstrapCredentials> first = coffer.identity().bootstrap();
    Path credentials = config.home().resolve("admin-credentials");
    if (first.isPresent()) {
      writeCredentials(credentials, first.get(), coffer.apiUrl());
    }
    String api = coffer.apiUrl();
    System.out.println("API URL:      " + api + "/v1.0/");
    System.out.println("Console URL:  " + api + "/ui/");
    first.ifPresentOrElse(
        c -> {
          System.out.println("Project id:   " + c.projectId());
          System.out.println("Admin user:   " + c.userName());
          System.out.println("Admin password: " + c.password());
          System.out.println("Admin token:  " + c.token());
        },
        () ->
            System.out.println("Admin credentials: " + credentials + " (created at first start)"));
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  coffer.close();
                  stopped.countDown();
                }));
    stopped.await();
  }

  private static void writeCredentials(
      Path file, IdentityService.BootstrapCredentials c, String api) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        file,
        "COFFER_URL="
            + api
            + "\n"
            + "COFFER_PROJECT="
            + c.projectId()
            + "\n"
            + "COFFER_ADMIN_USER="
            + c.userName()
            + "\n"
            + "COFFER_ADMIN_PASSWORD="
            + c.password()
            + "\n"
            + "COFFER_TOKEN="
            + c.token()
            + "\n",
        StandardOpenOption.WRITE);
  }
}
