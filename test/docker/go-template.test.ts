/**
 * The Go text/template subset behind `docker ... --format` / `-f`: what users type on inspect
 * output gives Go's text (fields, ranges, variables, json, index, join, trimming, comparisons,
 * docker's pad/truncate, %v of maps and lists, <no value>), missing keys behave as on Go maps and
 * structs (typed) or decoded JSON with missingkey=error (raw), and bad templates give Go's parse
 * and execution errors.
 */

import { describe, expect, it } from "vitest";
import { goMap } from "../../src/docker/go-map.js";
import {
  inspectTemplate,
  parseTemplate,
  renderTemplate,
  TemplateError,
} from "../../src/docker/go-template.js";

const net = {
  Name: "mynet",
  Internal: false,
  IPAM: { Driver: "default", Config: [{ Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }] },
  Containers: goMap(
    {
      b2: { Name: "web", IPv4Address: "172.18.0.3/16" },
      a1: { Name: "db", IPv4Address: "172.18.0.2/16" },
    },
    null,
  ),
  Labels: goMap({ "com.example": "x<y&z" }),
  Count: 3,
};

function error(t: string, data: unknown = net): { message: string; parse: boolean } {
  try {
    renderTemplate(t, data);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return { message: (e as Error).message, parse: (e as TemplateError).parse };
  }
  return { message: "no error", parse: false };
}

describe("Go templates as docker --format runs them", () => {
  it("fields, nested fields, ranges over lists and maps (keys sorted), variables", () => {
    expect(renderTemplate("{{.Name}} {{.IPAM.Driver}}", net)).toBe("mynet default");
    expect(renderTemplate("{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}", net)).toBe(
      "172.18.0.0/16 via 172.18.0.1",
    );
    expect(renderTemplate("{{range $id, $c := .Containers}}{{$id}}={{$c.Name}};{{end}}", net)).toBe(
      "a1=db;b2=web;",
    );
    expect(renderTemplate("{{range .Containers}}{{.Name}} {{$.Name}}\n{{end}}", net)).toBe(
      "db mynet\nweb mynet\n",
    );
    expect(renderTemplate("{{$n := .Name}}{{with .IPAM}}{{$n}}/{{.Driver}}{{end}}", net)).toBe(
      "mynet/default",
    );
    expect(renderTemplate("{{/* a comment */}}{{.Name}}", net)).toBe("mynet");
  });

  it("json as docker's (no HTML escaping), index, join, len, upper, printf, if/else if, with, and trimming", () => {
    expect(renderTemplate("{{json .IPAM.Config}}", net)).toBe(
      '[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]',
    );
    expect(renderTemplate("{{json .Labels}}", net)).toBe('{"com.example":"x<y&z"}');
    expect(renderTemplate('{{index .Labels "com.example"}}', net)).toBe("x<y&z");
    expect(renderTemplate('{{join (split "a b" " ") ","}}', net)).toBe("a,b");
    expect(renderTemplate('{{(index .Containers "b2").IPv4Address}}', net)).toBe("172.18.0.3/16");
    expect(renderTemplate("{{len .Containers}} {{.Name | upper}}", net)).toBe("2 MYNET");
    expect(renderTemplate('{{printf "%s has %d|%-6s|%5d" .Name 2 "ab" 7}}', net)).toBe(
      "mynet has 2|ab    |    7",
    );
    expect(renderTemplate('{{print 1 2 "a" 3}}', net)).toBe("1 2a3");
    expect(renderTemplate("{{if .Internal}}internal{{else if .Name}}named{{else}}none{{end}}", net)).toBe(
      "named",
    );
    expect(renderTemplate("{{with .IPAM}}{{.Driver}}{{end}}", net)).toBe("default");
    expect(renderTemplate("a  {{- .Name -}}  b", net)).toBe("amynetb");
  });

  it("Go's comparison and logic functions, docker's pad and truncate", () => {
    expect(renderTemplate('{{eq .Name "mynet"}} {{ne .Name "x"}} {{eq .Count 1 2 3}}', net)).toBe(
      "true true true",
    );
    expect(renderTemplate("{{lt .Count 4}} {{le .Count 3}} {{gt .Count 3}} {{ge .Count 3}}", net)).toBe(
      "true true false true",
    );
    expect(
      renderTemplate('{{lt "a" "b"}} {{not .Internal}} {{and .Name .Count}} {{or .Internal "x"}}', net),
    ).toBe("true true 3 x");
    expect(renderTemplate('{{if and (eq .Name "mynet") (not .Internal)}}yes{{end}}', net)).toBe("yes");
    expect(
      renderTemplate(
        "[{{pad .Name 2 1}}][{{pad .IPAM.Driver 0 0}}][{{truncate .Name 2}}][{{truncate .Name 9}}]",
        net,
      ),
    ).toBe("[  mynet ][default][my][mynet]");
    expect(renderTemplate('[{{pad "" 2 2}}]', net)).toBe("[]");
    expect(error("{{eq .Name 1}}").message).toBe(
      'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison',
    );
    expect(error("{{pad .Name 1}}").message).toBe(
      'template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2',
    );
  });

  it("values print as Go's %v prints decoded JSON; a missing map key is <no value>, index gives the zero value", () => {
    expect(renderTemplate("{{.IPAM.Config}}", net)).toBe("[map[Gateway:172.18.0.1 Subnet:172.18.0.0/16]]");
    expect(renderTemplate('{{.Labels.nope}}|{{index .Labels "nope"}}|{{index .Containers "zz"}}', net)).toBe(
      "<no value>||<nil>",
    );
    expect(renderTemplate("{{.Internal}}", { Internal: null })).toBe("<nil>");
  });

  it("a missing struct field is an error (typed); inspect's raw retry makes it Go's missingkey=error text", () => {
    expect(error("{{.Nope}}").message).toBe(
      'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type map[string]interface {}',
    );
    const t = (s: string) => parseTemplate(s);
    expect(() => inspectTemplate(t("{{.Foo}}"), net)).toThrow(
      'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"',
    );
    // Go places a chain at its second field.
    expect(() => inspectTemplate(t("x {{.IPAM.Nope}}"), net)).toThrow(
      'template: :1:9: executing "" at <.IPAM.Nope>: map has no entry for key "Nope"',
    );
    expect(() => inspectTemplate(t("{{.Name}}\n{{.Labels.nope}} {{.Foo}}"), net)).toThrow(
      'template: :2:9: executing "" at <.Labels.nope>: map has no entry for key "nope"',
    );
    expect(inspectTemplate(t("{{.Name}} {{.Labels.nope}}"), net)).toBe("mynet <no value>");
  });

  it("parse errors are Go's, marked as parse errors", () => {
    expect(error("{{.Name")).toEqual({ message: "template: :1: unclosed action", parse: true });
    expect(error("{{range .Containers}}x")).toEqual({ message: "template: :1: unexpected EOF", parse: true });
    expect(error("{{end}}")).toEqual({ message: "template: :1: unexpected {{end}}", parse: true });
    expect(error("{{foo .Name}}")).toEqual({
      message: 'template: :1: function "foo" not defined',
      parse: true,
    });
    expect(error("{{$x}}")).toEqual({ message: 'template: :1: undefined variable "$x"', parse: true });
    expect(error("{{.Name}}\n{{(.Name}}")).toEqual({
      message: "template: :2: unclosed left paren",
      parse: true,
    });
    expect(error('{{.Name | "x"}}')).toEqual({
      message: "template: :1: non executable command in pipeline stage 2",
      parse: true,
    });
    expect(renderTemplate("{{.Name | }}", net)).toBe("mynet");
  });
});
