// Starts DynamoDB Local listening on one address (127.0.0.1 unless -Dskein.host says otherwise).
// DynamoDB Local checks no signatures and its jar has no option for the listen address: Jetty is
// built with `new Server(port)`, which listens on every interface. This launcher builds the same
// server through DynamoDB Local's own ServerRunner, sets the host on its Jetty connector, and
// starts it. Run by `functions/local/dynamodb-local.ts` with Java's source-file mode (Java 11+):
//   java -Djava.library.path=./DynamoDBLocal_lib -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*" \
//     dynamodb-local-loopback.java -port 8000 -inMemory -sharedDb -disableTelemetry
// It exits when its stdin ends (the parent process is gone).
// Exit code 3: this DynamoDB Local build does not have the expected shape; the caller falls back
// to the plain jar and says that it listens on every interface.
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("skein.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server server;
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      server = (Server) field.get(proxy);
    } catch (ReflectiveOperationException | ClassCastException error) {
      System.err.println("skein-loopback-unsupported: " + error);
      System.exit(3);
      return;
    }
    for (Connector connector : server.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        System.err.println("skein-loopback-unsupported: connector " + connector.getClass().getName());
        System.exit(3);
      }
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    // The parent holds our stdin open and never writes: end of input means it is gone (even after
    // a SIGKILL), so this JVM does not outlive it holding the port and the data folder.
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (java.io.IOException ignored) {
        // A broken pipe is the parent gone, too.
      }
      System.exit(0);
    }, "skein-parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();
    System.out.println("skein: DynamoDB Local listening on " + host);
  }
}
