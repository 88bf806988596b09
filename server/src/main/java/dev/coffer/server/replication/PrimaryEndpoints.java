package dev.coffer.server.replication;

import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stable "current primary" address of each replication set (a native extension; RDS and
 * CloudNativePG publish the same as a DNS name or a service). Each set has a port on the server's
 * address that forwards every new connection to whichever instance is the primary now. When the
 * primary changes, connections to the old one are closed, so clients reconnect to the new one
 * without changing address. The port is kept in the state store and bound again after a restart.
 */
public final class PrimaryEndpoints implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PrimaryEndpoints.class);
  private static final int CONNECT_TIMEOUT_MS = 2_000;

  /** Where clients connect. */
  public record Address(String host, int port) {}

  private final String host;
  private final ReplicationRepository sets;
  private final InstanceRepository instances;
  private final Map<String, Listener> listeners = new ConcurrentHashMap<>();

  /** Two threads per forwarded connection and one per listener; idle ones die after a minute. */
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "primary-endpoint");
            t.setDaemon(true);
            return t;
          });

  public PrimaryEndpoints(String host, ReplicationRepository sets, InstanceRepository instances) {
    this.host = host;
    this.sets = sets;
    this.instances = instances;
  }

  /** Binds the endpoints of every set (at start-up). */
  public void openAll() {
    sets.sets().forEach(s -> open(s.id()));
  }

  /** Binds the set's endpoint if it is not bound yet: its stored port, or a new one. */
  public synchronized void open(String setId) {
    if (listeners.containsKey(setId)) {
      return;
    }
    Optional<ReplicaSet> set = sets.findSet(setId);
    if (set.isEmpty()) {
      return;
    }
    ServerSocket socket;
    try {
      socket = bind(set.get().endpointPort());
    } catch (IOException e) {
      log.warn("event=endpoint_bind_failed set={} reason=\"{}\"", setId, e.getMessage());
      return;
    }
    if (set.get().endpointPort() == null || set.get().endpointPort() != socket.getLocalPort()) {
      sets.setEndpointPort(setId, socket.getLocalPort());
    }
    Listener listener = new Listener(setId, socket);
    listeners.put(setId, listener);
    threads.execute(listener::acceptLoop);
    log.info("event=endpoint_open set={} address={}:{}", setId, host, socket.getLocalPort());
  }

  private ServerSocket bind(Integer stored) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    try {
      socket.bind(new InetSocketAddress(host, stored == null ? 0 : stored));
    } catch (IOException e) {
      if (stored == null) {
        socket.close();
        throw e;
      }
      // The stored port was taken while the server was down: a new one is better than none.
      socket.close();
      socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, 0));
    }
    return socket;
  }

  public Optional<Address> address(String setId) {
    Listener listener = listeners.get(setId);
    return listener == null
        ? Optional.empty()
        : Optional.of(new Address(host, listener.socket.getLocalPort()));
  }

  /** The primary changed: drop connections to the old one so that clients reconnect. */
  public void retarget(String setId) {
    Listener listener = listeners.get(setId);
    if (listener != null) {
      listener.dropAll();
    }
  }

  /** The set is gone. */
  public void close(String setId) {
    Listener listener = listeners.remove(setId);
    if (listener != null) {
      listener.close();
    }
  }

  @Override
  public void close() {
    listeners.keySet().forEach(this::close);
    threads.shutdownNow();
  }

  private Optional<Instance> primary(String setId) {
    return sets.findSet(setId)
        .flatMap(s -> instances.find(s.primaryId()))
        .filter(i -> i.address() != null && i.port() != null);
  }

  private final class Listener {
    private final String setId;
    private final ServerSocket socket;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    Listener(String setId, ServerSocket socket) {
      this.setId = setId;
      this.socket = socket;
    }

    void acceptLoop() {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          threads.execute(() -> forward(client));
        } catch (IOException e) {
          if (!socket.isClosed()) {
            log.warn("event=endpoint_accept_failed set={} reason=\"{}\"", setId, e.getMessage());
          }
        }
      }
    }

    private void forward(Socket client) {
      Optional<Instance> primary = primary(setId);
      if (primary.isEmpty()) {
        closeQuietly(client);
        return;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(
            new InetSocketAddress(primary.get().address(), primary.get().port()),
            CONNECT_TIMEOUT_MS);
        upstream.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(upstream);
        closeQuietly(client);
        return;
      }
      open.add(client);
      open.add(upstream);
      threads.execute(() -> pump(upstream, client));
      pump(client, upstream);
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream();
          OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side went away: the other is closed below
      } finally {
        open.remove(from);
        open.remove(to);
        closeQuietly(from);
        closeQuietly(to);
      }
    }

    void dropAll() {
      for (Socket s : open) {
        closeQuietly(s);
      }
      open.clear();
    }

    void close() {
      closeQuietly(socket);
      dropAll();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
