package weir.bench.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.errors.SerializationException;

/** The two calls of a Confluent-compatible schema registry the serde needs; callers cache the answers. */
final class Registry {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final String base;

  Registry(String url) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The schema text of a global schema id: GET /schemas/ids/{id}. */
  String schemaById(int id) {
    return get("/schemas/ids/" + id).get("schema").asText();
  }

  /** The latest version under a subject: GET /subjects/{subject}/versions/latest → id and schema text. */
  Registered latest(String subject) {
    JsonNode body = get("/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions/latest");
    return new Registered(body.get("id").asInt(), body.get("schema").asText());
  }

  record Registered(int id, String schema) {}

  private JsonNode get(String path) {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).header("accept", CONTENT_TYPE).GET().build();
    try {
      HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) throw new SerializationException("GET " + base + path + ": HTTP " + res.statusCode() + " " + res.body());
      return json.readTree(res.body());
    } catch (IOException e) {
      throw new SerializationException("GET " + base + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SerializationException("GET " + base + path + ": interrupted", e);
    }
  }
}
