// Reads a .properties file with java.util.Properties, as Fabio's Java-style
// properties are read, and prints every key=value sorted by key:
//   java PropertiesDump.java file.properties
import java.io.FileReader;
import java.util.Properties;
import java.util.TreeMap;

public class PropertiesDump {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        try (FileReader reader = new FileReader(args[0])) {
            properties.load(reader);
        }
        new TreeMap<>(properties).forEach((k, v) -> System.out.println(k + "=" + v));
    }
}
