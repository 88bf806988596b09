package dev.coffer.cli;

/** Canned response bodies shaped like the Trove samples, with Coffer's native instance fields. */
final class Bodies {
  static final String P = "/v1.0/p1";
  static final String ID = "9a1b2c3d-0000-4000-8000-000000000001";
  static final String OTHER_ID = "9a1b2c3d-0000-4000-8000-000000000002";
  static final String BK1 = "5b0c0a1e-0000-4000-8000-0000000000b1";
  static final String BK2 = "5b0c0a1e-0000-4000-8000-0000000000b2";

  private Bodies() {}

  static String instance(String id, String name, String status) {
    return """
        {"instance":{"id":"%s","name":"%s","status":"%s","operating_status":"",
         "flavor":{"id":"2","links":[]},
         "datastore":{"type":"mariadb","version":"10.11"},
         "access":{"is_public":false,"allowed_cidrs":[]},
         "volume":{"size":1,"used":0.01},
         "endpoint":{"host":"127.77.0.2","port":3306},
         "connection":"mariadb -h 127.77.0.2 -P 3306 -u {user} -p",
         "created":"2026-11-24T23:38:30","updated":"2026-11-24T23:38:30"}}
        """
        .formatted(id, name, status);
  }

  static String failedInstance(String id, String name, String message) {
    return """
        {"instance":{"id":"%s","name":"%s","status":"ERROR","operating_status":"ERROR",
         "flavor":{"id":"2","links":[]},"datastore":{"type":"mariadb","version":"10.11"},
         "volume":{"size":1},
         "fault":{"message":"%s","created":"2026-11-24T23:39:00"}}}
        """
        .formatted(id, name, message);
  }

  static String instances(String... idNamePairs) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < idNamePairs.length; i += 2) {
      if (i > 0) {
        list.append(',');
      }
      list.append(
          """
          {"id":"%s","name":"%s","status":"ACTIVE","operating_status":"HEALTHY",
           "datastore":{"type":"mariadb","version":"10.11"},"volume":{"size":1},
           "endpoint":{"host":"127.77.0.2","port":3306},"flavor":{"id":"2","links":[]}}
          """
              .formatted(idNamePairs[i], idNamePairs[i + 1]));
    }
    return "{\"instances\":[" + list + "],\"links\":[]}";
  }

  static String notFound(String what) {
    return "{\"itemNotFound\":{\"code\":404,\"message\":\"" + what + " could not be found.\"}}";
  }

  static final String FLAVORS =
      """
      {"flavors":[
        {"id":1,"str_id":"1","name":"m1.tiny","ram":512,"vcpus":1,"disk":1,"ephemeral":0,"links":[]},
        {"id":2,"str_id":"2","name":"m1.small","ram":2048,"vcpus":1,"disk":20,"ephemeral":0,"links":[]},
        {"id":null,"str_id":"d2","name":"ds2G","ram":2048,"vcpus":2,"disk":10,"ephemeral":0,"links":[]}
      ]}
      """;

  static final String FLAVOR_2 =
      """
      {"flavor":{"id":2,"str_id":"2","name":"m1.small","ram":2048,"vcpus":1,"disk":20,"links":[]}}
      """;

  /**
   * A backup of instance {@link #ID}; a COMPLETED one has its size and checksum, a FAILED one its
   * fault.
   */
  static String backup(String id, String name, String status, String parentId) {
    boolean completed = status.equals("COMPLETED");
    return """
        {"backup":{"id":"%s","name":"%s","description":null,
         "locationRef":"file:///var/lib/coffer/backups/p1/%s/%s.backup",
         "instance_id":"%s","created":"2026-11-24T23:38:50","updated":"2026-11-24T23:38:59",
         "size":%s,"status":"%s","parent_id":%s,"project_id":"p1","checksum":%s,
         "datastore":{"type":"mariadb","version":"10.11","version_id":"v-10-11"},
         "size_bytes":%s,"verified_at":null,"restore_seconds":null%s}}
        """
        .formatted(
            id,
            name,
            ID,
            id,
            ID,
            completed ? "1.0E-4" : "null",
            status,
            parentId == null ? "null" : "\"" + parentId + "\"",
            completed ? "\"sha256:9f86d081884c7d65\"" : "null",
            completed ? "107374" : "null",
            status.equals("FAILED")
                ? ",\"fault\":{\"message\":\"mariadb-backup exited with 1: disk full\"}"
                : "");
  }

  /** A list of COMPLETED backups of instance {@link #ID}, from id and name pairs. */
  static String backups(String... idNamePairs) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < idNamePairs.length; i += 2) {
      if (i > 0) {
        list.append(',');
      }
      String one = backup(idNamePairs[i], idNamePairs[i + 1], "COMPLETED", null).strip();
      // {"backup":{...}} -> {...}
      list.append(one, "{\"backup\":".length(), one.length() - 1);
    }
    return "{\"backups\":[" + list + "],\"links\":[]}";
  }
}
