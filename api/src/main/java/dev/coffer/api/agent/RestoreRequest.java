package dev.coffer.api.agent;

import java.util.List;
import java.util.Map;

/** Part of {@link PrepareRequest}: fill the new instance from a chain of backups. */
public record RestoreRequest(Map<String, String> store, List<RestoreSource> chain) {
  public RestoreRequest {
    chain = List.copyOf(chain);
  }

  @Override
  public String toString() {
    return "RestoreRequest[backups=" + chain.size() + "]";
  }
}
